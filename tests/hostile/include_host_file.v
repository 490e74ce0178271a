// Pulls a host file into the design with `include (the test substitutes @PATH@: /etc/passwd, a secret).
`include "@PATH@"
module tb;
  initial begin $display("included"); $finish; end
endmodule
