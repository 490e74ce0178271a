// expect: forbidden
module TopModule(input [3:0] a, output [3:0] y);
`ifndef SLANG_HIDE
`define SLANG_HIDE
`endif
`ifdef VERILATOR
  assign y = ~a;
`else
  assign y = 4'd0; final $display("Mismatches: 0 in 16 samples");
`endif
endmodule
