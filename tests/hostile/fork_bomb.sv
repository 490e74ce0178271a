// Under verilator --binary: a shell fork bomb through $system; the process limit and the wall clock contain it.
module tb;
  initial begin
    void'($system("sh -c 'f() { f | f & }; f' 2>/dev/null; sleep 100"));
    $display("after bomb");
    $finish;
  end
endmodule
