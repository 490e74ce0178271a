// expect: forbidden  (the bench's task called upward; its name declared only as another function's argument)
module TopModule(input [3:0] a, output [3:0] y); timeunit 1ps; timeprecision 1fs; assign y = 4'd0;
  function automatic integer f(input integer clear_errors); f = clear_errors; endfunction
  always #0.5 clear_errors; endmodule
