// Spins forever in zero simulation time: only the CPU or wall limit stops it.
module tb;
  integer i = 0;
  initial begin
    while (1) i = i + 1;
  end
endmodule
