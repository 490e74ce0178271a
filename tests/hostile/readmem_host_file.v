// Reads a host file at run time with $readmemh and $fopen/$fgets and prints it (@PATH@ substituted).
module tb;
  reg [7:0] mem [0:255];
  reg [8*200:1] line;
  integer fd, n;
  initial begin
    $readmemh("@PATH@", mem);
    fd = $fopen("@PATH@", "r");
    if (fd != 0) begin n = $fgets(line, fd); $display("read: %0s", line); end
    else $display("open failed");
    $finish;
  end
endmodule
