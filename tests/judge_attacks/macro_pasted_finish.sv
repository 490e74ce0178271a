// expect: forbidden  (token pasting builds $finish)
`define END(x) $fin``x
module TopModule(input [3:0] a, output [3:0] y); assign y = 4'd0; initial begin $display("Mismatches: 0 in 16 samples"); `END(ish); end endmodule
