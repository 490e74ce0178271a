// expect: fail  (a compile-time memory bomb)
module TopModule(input [3:0] a, output [3:0] y); reg [1023:0] big [0:(1<<26)-1]; assign y = ~a; initial big[5] = 1; endmodule
