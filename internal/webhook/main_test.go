package webhook_test

import (
	"os"
	"testing"

	"github.com/portico/portico/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
