// Tries to climb out of the job dir with ../ (the test substitutes @NAME@, a unique file name).
module tb;
  integer fd1, fd2;
  initial begin
    fd1 = $fopen("../@NAME@", "w");
    fd2 = $fopen("../../../../../../../tmp/@NAME@", "w");
    if (fd1 != 0) begin $fdisplay(fd1, "escaped"); $fclose(fd1); end
    if (fd2 != 0) begin $fdisplay(fd2, "escaped"); $fclose(fd2); end
    $display("fopen returned %0d %0d", fd1, fd2);
    $finish;
  end
endmodule
