// expect: forbidden  ($random would shift the bench's stimulus)
module TopModule(input [3:0] a, output [3:0] y); reg [3:0] r; assign y = ~a; initial repeat (7) r = $random; endmodule
