// expect: forbidden  (a struct field named like the bench's named block names no scope: stim.local_e goes upward)
module TopModule(input [3:0] a, output [3:0] y); assign y = 4'd0;
  typedef struct packed { logic stim; } t;
  initial begin stim.local_e = 42; end endmodule
