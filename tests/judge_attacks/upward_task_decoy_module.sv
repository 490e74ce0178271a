// expect: forbidden  (the task's name declared in another module of the design, which no lookup from here sees)
module Decoy; wire clear_errors; task clear_errors_too; endtask endmodule
module TopModule(input [3:0] a, output [3:0] y); timeunit 1ps; timeprecision 1fs; assign y = 4'd0;
  always #0.5 clear_errors(); endmodule
