// expect: forbidden
module TopModule(input [3:0] a, output [3:0] y); assign y = ($time > 0) ? ~a : 4'd0; endmodule
