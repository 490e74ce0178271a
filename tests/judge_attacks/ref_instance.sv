// expect: forbidden
module TopModule(input [3:0] a, output [3:0] y); RefModule r0(.a(a), .y(y)); endmodule
