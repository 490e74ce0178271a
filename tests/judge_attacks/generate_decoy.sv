// expect: forbidden  (the task's name declared only inside a generate if without begin/end: a scope of its own)
module TopModule(input [3:0] a, output [3:0] y); timeunit 1ps; timeprecision 1fs; assign y = 4'd0;
  if (0) task clear_errors; endtask
  for (genvar g = 0; g < 1; g++) task clear_errors; endtask
  case (1) 0: task clear_errors; endtask endcase
  always #0.5 clear_errors; endmodule
