// expect: fail mismatch (partial credit 0.5: wrong whenever a[0] == 0)
module TopModule(input [3:0] a, output [3:0] y); assign y = a[0] ? ~a : a; endmodule
