// expect: forbidden  (a local variable hides the wildcard import from Icarus, which then reaches the bench's task)
package p; task clear_errors; endtask endpackage
module TopModule(input [3:0] a, output [3:0] y); timeunit 1ps; timeprecision 1fs; import p::*; assign y = 4'd0;
  integer clear_errors;
  always #0.5 clear_errors; endmodule
