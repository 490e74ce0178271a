// Writes a file without end inside the job dir: the file-size limit must stop it.
module tb;
  integer fd;
  initial begin
    fd = $fopen("big.txt", "w");
    forever $fdisplay(fd, "0123456789012345678901234567890123456789012345678901234567890123456789");
  end
endmodule
