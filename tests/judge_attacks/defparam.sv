// expect: forbidden
module TopModule(input [3:0] a, output [3:0] y); assign y = ~a; defparam tb.P = 1; endmodule
