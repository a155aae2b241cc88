// One object found in one frame by a detector.
#ifndef DIDBAN_DETECTION_H_
#define DIDBAN_DETECTION_H_

#include <vector>

#include "didban/geometry.h"
#include "didban/object_class.h"

namespace didban {

struct Detection {
  Box box;            // pixels of the frame the detector saw (Frame::image)
  float score = 1.f;  // confidence in [0, 1]
  ObjectClass object_class = ObjectClass::kUnknown;
  int model_class = -1;  // the model's own class index (COCO for the bundled decoders), -1 if none
};

using Detections = std::vector<Detection>;

}  // namespace didban

#endif  // DIDBAN_DETECTION_H_
