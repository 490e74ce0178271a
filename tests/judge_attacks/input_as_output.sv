// expect: forbidden
module TopModule(output [3:0] a, output [3:0] y); assign a = 4'bx; assign y = 4'bx; endmodule
