// expect: forbidden
module TopModule(input [3:0] a, output [3:0] y); assign y = ~a;
`systemc_header
#include <cstdlib>
`verilog
endmodule
