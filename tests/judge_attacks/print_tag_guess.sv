// expect: fail  (guesses the tag's shape)
module TopModule(input [3:0] a, output [3:0] y); assign y = 4'd0; initial $display("RTLGEN00000000000000000000000000000000:Mismatches: 0 in 16 samples"); endmodule
