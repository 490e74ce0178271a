// expect: fail  (compiled last: an open comment or macro cannot swallow the bench)
module TopModule(input [3:0] a, output [3:0] y); assign y = ~a; endmodule
/* never closed
