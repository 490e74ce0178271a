// expect: forbidden
module TopModule(input [3:0] a, output [3:0] y); assign y = 4'd0; initial begin force y = ~a; release y; end endmodule
