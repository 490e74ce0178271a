// expect: forbidden
module TopModule(input [3:0] a, output [3:0] y); assign y = ~a; endmodule
`resetall
`default_nettype none
