// expect: forbidden
module TopModule(input [3:0] a, output [3:0] y); import "DPI-C" function int system(input string cmd); assign y = ~a; initial void'(system("id")); endmodule
