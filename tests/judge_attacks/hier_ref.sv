// expect: forbidden
module TopModule(input [3:0] a, output [3:0] y); assign y = tb.y_ref; endmodule
