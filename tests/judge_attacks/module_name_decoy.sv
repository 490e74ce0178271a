// expect: forbidden  (a module's definition name is no scope a lookup from the design reaches)
module stim; endmodule
module TopModule(input [3:0] a, output [3:0] y); assign y = 4'd0;
  initial #1 stim.local_e = 42; endmodule
