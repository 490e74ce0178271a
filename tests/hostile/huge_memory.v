// Declares a 16 GiB memory: the address-space limit must stop it (or it fails cleanly).
module tb;
  reg [63:0] mem [0:(1<<31)-1];
  initial begin
    mem[123] = 64'd1;
    $display("allocated %0d", mem[123]);
    $finish;
  end
endmodule
