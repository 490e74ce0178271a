// expect: forbidden  (a package's task is seen only where it is imported; this call resolves upward)
package decoy; task clear_errors; endtask endpackage
module TopModule(input [3:0] a, output [3:0] y); timeunit 1ps; timeprecision 1fs; assign y = 4'd0;
  always #0.5 clear_errors; endmodule
