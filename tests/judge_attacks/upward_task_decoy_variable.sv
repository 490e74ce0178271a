// expect: forbidden  (a variable of the task's name does not stop the call reaching the bench's task)
module TopModule(input [3:0] a, output [3:0] y); timeunit 1ps; timeprecision 1fs; assign y = 4'd0;
  integer clear_errors;
  always #0.5 clear_errors; endmodule
