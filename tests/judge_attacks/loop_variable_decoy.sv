// expect: forbidden  (a for loop's own variable is seen only inside the loop)
module TopModule(input [3:0] a, output [3:0] y); assign y = 4'd0;
  initial begin for (int stim = 0; stim < 1; stim++) ; stim.local_e = 42; end endmodule
