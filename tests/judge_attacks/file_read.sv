// expect: forbidden
module TopModule(input [3:0] a, output [3:0] y); integer fd; reg [8*64:1] line; assign y = ~a; initial begin fd = $fopen("bench_test.sv", "r"); void'($fgets(line, fd)); end endmodule
