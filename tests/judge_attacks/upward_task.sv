// expect: forbidden  (an undotted call resolves upward into the bench)
module TopModule(input [3:0] a, output [3:0] y); assign y = 4'd0; initial clear_errors(); endmodule
