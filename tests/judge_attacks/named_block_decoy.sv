// expect: forbidden  (a dotted name through the bench's named block, its name declared only as an argument)
module TopModule(input [3:0] a, output [3:0] y); assign y = 4'd0;
  function automatic integer f(input integer stim); f = stim; endfunction
  always @(stim.local_e) stim.local_e = 0; endmodule
