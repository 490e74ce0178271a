// Tries to create a file at an absolute host path (the test substitutes @TARGET@).
module tb;
  integer fd;
  initial begin
    fd = $fopen("@TARGET@", "w");
    if (fd != 0) begin $fdisplay(fd, "escaped"); $fclose(fd); end
    $display("fopen returned %0d", fd);
    $finish;
  end
endmodule
