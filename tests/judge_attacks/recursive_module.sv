// expect: fail
module Rec(input [3:0] a, output [3:0] y); Rec r(.a(a), .y(y)); endmodule
module TopModule(input [3:0] a, output [3:0] y); Rec r(.a(a), .y(y)); endmodule
