// expect: forbidden  (a procedural named block inside a generate item lives in genblk1, not in the module)
module TopModule(input [3:0] a, output [3:0] y); assign y = 4'd0;
  if (1) initial begin : stim end
  initial #1 stim.local_e = 42; endmodule
