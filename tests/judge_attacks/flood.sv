// expect: fail  (killed_output)
module TopModule(input [3:0] a, output [3:0] y); assign y = ~a; initial forever $display("Mismatches: 0 in 16 samples Mismatches: 0 in 16 samples"); endmodule
