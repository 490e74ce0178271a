// expect: fail
module TopModule(input [3:0] a, output [3:0] y); genvar i; for (i = 0; i < 50000000; i = i + 1) begin : g wire [3:0] w = a; end assign y = ~a; endmodule
