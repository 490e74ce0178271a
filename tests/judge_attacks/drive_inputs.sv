// expect: forbidden  (driving its input to x would make every reference bit a don't-care)
module TopModule(inout [3:0] a, output [3:0] y); assign a = 4'bx; assign y = 4'bx; endmodule
