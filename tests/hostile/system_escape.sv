// Under verilator --binary: runs shell commands with $system. Each tries to reach the host (@TARGET@ substituted).
module tb;
  initial begin
    void'($system("touch @TARGET@; echo touched"));
    void'($system("echo procs=$(ls /proc 2>/dev/null | grep -c '^[0-9]')"));
    void'($system("echo ifaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ,)"));
    void'($system("cat /etc/passwd /etc/shadow 2>&1 | head -c 300"));
    $finish;
  end
endmodule
