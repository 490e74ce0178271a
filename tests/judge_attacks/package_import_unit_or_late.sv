// expect: forbidden  (a compilation-unit wildcard import, and one after the use: Icarus 11 applies neither)
package p; task clear_errors; endtask endpackage
import p::*;
module TopModule(input [3:0] a, output [3:0] y); timeunit 1ps; timeprecision 1fs; assign y = 4'd0;
  always #0.5 clear_errors;
  import p::*; endmodule
