// expect: forbidden  ((stim).local_e is the dotted name stim.local_e to Verilator, which looks it up upward)
module TopModule(input [3:0] a, output [3:0] y); assign y = 4'd0;
  initial #1 (stim).local_e = 42; endmodule
