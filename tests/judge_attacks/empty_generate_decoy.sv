// expect: forbidden  (Verilator drops an empty generate block, so its name is no decoy: stim.local_e goes upward)
module TopModule(input [3:0] a, output [3:0] y); assign y = 4'd0;
  if (1) begin : stim end
  initial #1 stim.local_e = 42; endmodule
