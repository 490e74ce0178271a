// expect: forbidden
`line 1 "bench_test.sv" 0
module TopModule(input [3:0] a, output [3:0] y); assign y = 4'd0; endmodule
