// expect: forbidden
module TopModule(input [3:0] a, output [3:0] y); assign y = ~a; initial begin $timeformat(-9, 2, " ns", 10); $monitor("%d", a); end endmodule
