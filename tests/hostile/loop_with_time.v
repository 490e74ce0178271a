// Advances time forever and never calls $finish: only the wall (or CPU) limit stops it.
module tb;
  reg clk = 0;
  always #1 clk = ~clk;
endmodule
