// expect: fail  (timeout or cpu)
module TopModule(input [3:0] a, output [3:0] y); reg [3:0] r; assign y = ~a; initial begin r = 0; forever r = ~r; end endmodule
