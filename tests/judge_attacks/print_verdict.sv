// expect: fail  (prints the verdict line a naive reader trusts, and is wrong)
module TopModule(input [3:0] a, output [3:0] y); assign y = 4'd0; initial begin #1000 $display("Mismatches: 0 in 16 samples"); end endmodule
