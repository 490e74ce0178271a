// Prints without end: the output cap must stop it.
module tb;
  initial forever $display("flood flood flood flood flood flood flood flood flood flood flood flood flood");
endmodule
