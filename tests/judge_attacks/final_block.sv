// expect: forbidden
module TopModule(input [3:0] a, output [3:0] y); assign y = 4'd0; final begin $display("Mismatches: 0 in 16 samples"); end endmodule
