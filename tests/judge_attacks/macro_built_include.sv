// expect: forbidden  (a macro builds an `include that no text screen sees; the preprocessor's file list does)
module TopModule(input [3:0] a, output [3:0] y);
`define x dummy
`define INC(x) `x "/etc/hostname"
`INC(include)
  assign y = ~a;
endmodule
