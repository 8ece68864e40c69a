<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.28.0-Firenze" styleCategories="Symbology|Labeling" labelsEnabled="0">
 <renderer-v2 type="categorizedSymbol" attr="service" forceraster="0" symbollevels="0" enableorderby="0" referencescale="-1">
  <categories>
   <category render="true" symbol="0" value="culture" label="文化设施 / Culture" type="string" />
   <category render="true" symbol="1" value="elderly_care" label="养老机构 / Elderly care" type="string" />
   <category render="true" symbol="2" value="park" label="公园绿地 / Parks" type="string" />
   <category render="true" symbol="3" value="preschool" label="幼儿园/托育 / Preschool and childcare" type="string" />
   <category render="true" symbol="4" value="public_health" label="公共卫生 / Public health" type="string" />
   <category render="true" symbol="5" value="sports_fitness" label="体育健身 / Sports and fitness" type="string" />
  </categories>
  <symbols>
   <symbol type="line" name="0" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleLine" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="align_dash_pattern" value="0" />
      <Option type="QString" name="capstyle" value="round" />
      <Option type="QString" name="customdash" value="5;2" />
      <Option type="QString" name="customdash_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="customdash_unit" value="MM" />
      <Option type="QString" name="dash_pattern_offset" value="0" />
      <Option type="QString" name="dash_pattern_offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="dash_pattern_offset_unit" value="MM" />
      <Option type="QString" name="draw_inside_polygon" value="0" />
      <Option type="QString" name="joinstyle" value="round" />
      <Option type="QString" name="line_color" value="53,151,143,255" />
      <Option type="QString" name="line_style" value="solid" />
      <Option type="QString" name="line_width" value="1" />
      <Option type="QString" name="line_width_unit" value="MM" />
      <Option type="QString" name="offset" value="0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="ring_filter" value="0" />
      <Option type="QString" name="trim_distance_end" value="0" />
      <Option type="QString" name="trim_distance_start" value="0" />
      <Option type="QString" name="tweak_dash_pattern_on_corners" value="0" />
      <Option type="QString" name="use_custom_dash" value="0" />
      <Option type="QString" name="width_map_unit_scale" value="3x:0,0,0,0,0,0" />
     </Option>
     <prop k="align_dash_pattern" v="0" />
     <prop k="capstyle" v="round" />
     <prop k="customdash" v="5;2" />
     <prop k="customdash_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="customdash_unit" v="MM" />
     <prop k="dash_pattern_offset" v="0" />
     <prop k="dash_pattern_offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="dash_pattern_offset_unit" v="MM" />
     <prop k="draw_inside_polygon" v="0" />
     <prop k="joinstyle" v="round" />
     <prop k="line_color" v="53,151,143,255" />
     <prop k="line_style" v="solid" />
     <prop k="line_width" v="1" />
     <prop k="line_width_unit" v="MM" />
     <prop k="offset" v="0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="ring_filter" v="0" />
     <prop k="trim_distance_end" v="0" />
     <prop k="trim_distance_start" v="0" />
     <prop k="tweak_dash_pattern_on_corners" v="0" />
     <prop k="use_custom_dash" v="0" />
     <prop k="width_map_unit_scale" v="3x:0,0,0,0,0,0" />
    </layer>
   </symbol>
   <symbol type="line" name="1" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleLine" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="align_dash_pattern" value="0" />
      <Option type="QString" name="capstyle" value="round" />
      <Option type="QString" name="customdash" value="5;2" />
      <Option type="QString" name="customdash_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="customdash_unit" value="MM" />
      <Option type="QString" name="dash_pattern_offset" value="0" />
      <Option type="QString" name="dash_pattern_offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="dash_pattern_offset_unit" value="MM" />
      <Option type="QString" name="draw_inside_polygon" value="0" />
      <Option type="QString" name="joinstyle" value="round" />
      <Option type="QString" name="line_color" value="118,42,131,255" />
      <Option type="QString" name="line_style" value="solid" />
      <Option type="QString" name="line_width" value="1" />
      <Option type="QString" name="line_width_unit" value="MM" />
      <Option type="QString" name="offset" value="0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="ring_filter" value="0" />
      <Option type="QString" name="trim_distance_end" value="0" />
      <Option type="QString" name="trim_distance_start" value="0" />
      <Option type="QString" name="tweak_dash_pattern_on_corners" value="0" />
      <Option type="QString" name="use_custom_dash" value="0" />
      <Option type="QString" name="width_map_unit_scale" value="3x:0,0,0,0,0,0" />
     </Option>
     <prop k="align_dash_pattern" v="0" />
     <prop k="capstyle" v="round" />
     <prop k="customdash" v="5;2" />
     <prop k="customdash_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="customdash_unit" v="MM" />
     <prop k="dash_pattern_offset" v="0" />
     <prop k="dash_pattern_offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="dash_pattern_offset_unit" v="MM" />
     <prop k="draw_inside_polygon" v="0" />
     <prop k="joinstyle" v="round" />
     <prop k="line_color" v="118,42,131,255" />
     <prop k="line_style" v="solid" />
     <prop k="line_width" v="1" />
     <prop k="line_width_unit" v="MM" />
     <prop k="offset" v="0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="ring_filter" v="0" />
     <prop k="trim_distance_end" v="0" />
     <prop k="trim_distance_start" v="0" />
     <prop k="tweak_dash_pattern_on_corners" v="0" />
     <prop k="use_custom_dash" v="0" />
     <prop k="width_map_unit_scale" v="3x:0,0,0,0,0,0" />
    </layer>
   </symbol>
   <symbol type="line" name="2" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleLine" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="align_dash_pattern" value="0" />
      <Option type="QString" name="capstyle" value="round" />
      <Option type="QString" name="customdash" value="5;2" />
      <Option type="QString" name="customdash_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="customdash_unit" value="MM" />
      <Option type="QString" name="dash_pattern_offset" value="0" />
      <Option type="QString" name="dash_pattern_offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="dash_pattern_offset_unit" value="MM" />
      <Option type="QString" name="draw_inside_polygon" value="0" />
      <Option type="QString" name="joinstyle" value="round" />
      <Option type="QString" name="line_color" value="27,120,55,255" />
      <Option type="QString" name="line_style" value="solid" />
      <Option type="QString" name="line_width" value="1" />
      <Option type="QString" name="line_width_unit" value="MM" />
      <Option type="QString" name="offset" value="0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="ring_filter" value="0" />
      <Option type="QString" name="trim_distance_end" value="0" />
      <Option type="QString" name="trim_distance_start" value="0" />
      <Option type="QString" name="tweak_dash_pattern_on_corners" value="0" />
      <Option type="QString" name="use_custom_dash" value="0" />
      <Option type="QString" name="width_map_unit_scale" value="3x:0,0,0,0,0,0" />
     </Option>
     <prop k="align_dash_pattern" v="0" />
     <prop k="capstyle" v="round" />
     <prop k="customdash" v="5;2" />
     <prop k="customdash_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="customdash_unit" v="MM" />
     <prop k="dash_pattern_offset" v="0" />
     <prop k="dash_pattern_offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="dash_pattern_offset_unit" v="MM" />
     <prop k="draw_inside_polygon" v="0" />
     <prop k="joinstyle" v="round" />
     <prop k="line_color" v="27,120,55,255" />
     <prop k="line_style" v="solid" />
     <prop k="line_width" v="1" />
     <prop k="line_width_unit" v="MM" />
     <prop k="offset" v="0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="ring_filter" v="0" />
     <prop k="trim_distance_end" v="0" />
     <prop k="trim_distance_start" v="0" />
     <prop k="tweak_dash_pattern_on_corners" v="0" />
     <prop k="use_custom_dash" v="0" />
     <prop k="width_map_unit_scale" v="3x:0,0,0,0,0,0" />
    </layer>
   </symbol>
   <symbol type="line" name="3" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleLine" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="align_dash_pattern" value="0" />
      <Option type="QString" name="capstyle" value="round" />
      <Option type="QString" name="customdash" value="5;2" />
      <Option type="QString" name="customdash_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="customdash_unit" value="MM" />
      <Option type="QString" name="dash_pattern_offset" value="0" />
      <Option type="QString" name="dash_pattern_offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="dash_pattern_offset_unit" value="MM" />
      <Option type="QString" name="draw_inside_polygon" value="0" />
      <Option type="QString" name="joinstyle" value="round" />
      <Option type="QString" name="line_color" value="231,41,138,255" />
      <Option type="QString" name="line_style" value="solid" />
      <Option type="QString" name="line_width" value="1" />
      <Option type="QString" name="line_width_unit" value="MM" />
      <Option type="QString" name="offset" value="0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="ring_filter" value="0" />
      <Option type="QString" name="trim_distance_end" value="0" />
      <Option type="QString" name="trim_distance_start" value="0" />
      <Option type="QString" name="tweak_dash_pattern_on_corners" value="0" />
      <Option type="QString" name="use_custom_dash" value="0" />
      <Option type="QString" name="width_map_unit_scale" value="3x:0,0,0,0,0,0" />
     </Option>
     <prop k="align_dash_pattern" v="0" />
     <prop k="capstyle" v="round" />
     <prop k="customdash" v="5;2" />
     <prop k="customdash_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="customdash_unit" v="MM" />
     <prop k="dash_pattern_offset" v="0" />
     <prop k="dash_pattern_offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="dash_pattern_offset_unit" v="MM" />
     <prop k="draw_inside_polygon" v="0" />
     <prop k="joinstyle" v="round" />
     <prop k="line_color" v="231,41,138,255" />
     <prop k="line_style" v="solid" />
     <prop k="line_width" v="1" />
     <prop k="line_width_unit" v="MM" />
     <prop k="offset" v="0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="ring_filter" v="0" />
     <prop k="trim_distance_end" v="0" />
     <prop k="trim_distance_start" v="0" />
     <prop k="tweak_dash_pattern_on_corners" v="0" />
     <prop k="use_custom_dash" v="0" />
     <prop k="width_map_unit_scale" v="3x:0,0,0,0,0,0" />
    </layer>
   </symbol>
   <symbol type="line" name="4" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleLine" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="align_dash_pattern" value="0" />
      <Option type="QString" name="capstyle" value="round" />
      <Option type="QString" name="customdash" value="5;2" />
      <Option type="QString" name="customdash_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="customdash_unit" value="MM" />
      <Option type="QString" name="dash_pattern_offset" value="0" />
      <Option type="QString" name="dash_pattern_offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="dash_pattern_offset_unit" value="MM" />
      <Option type="QString" name="draw_inside_polygon" value="0" />
      <Option type="QString" name="joinstyle" value="round" />
      <Option type="QString" name="line_color" value="33,102,172,255" />
      <Option type="QString" name="line_style" value="solid" />
      <Option type="QString" name="line_width" value="1" />
      <Option type="QString" name="line_width_unit" value="MM" />
      <Option type="QString" name="offset" value="0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="ring_filter" value="0" />
      <Option type="QString" name="trim_distance_end" value="0" />
      <Option type="QString" name="trim_distance_start" value="0" />
      <Option type="QString" name="tweak_dash_pattern_on_corners" value="0" />
      <Option type="QString" name="use_custom_dash" value="0" />
      <Option type="QString" name="width_map_unit_scale" value="3x:0,0,0,0,0,0" />
     </Option>
     <prop k="align_dash_pattern" v="0" />
     <prop k="capstyle" v="round" />
     <prop k="customdash" v="5;2" />
     <prop k="customdash_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="customdash_unit" v="MM" />
     <prop k="dash_pattern_offset" v="0" />
     <prop k="dash_pattern_offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="dash_pattern_offset_unit" v="MM" />
     <prop k="draw_inside_polygon" v="0" />
     <prop k="joinstyle" v="round" />
     <prop k="line_color" v="33,102,172,255" />
     <prop k="line_style" v="solid" />
     <prop k="line_width" v="1" />
     <prop k="line_width_unit" v="MM" />
     <prop k="offset" v="0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="ring_filter" v="0" />
     <prop k="trim_distance_end" v="0" />
     <prop k="trim_distance_start" v="0" />
     <prop k="tweak_dash_pattern_on_corners" v="0" />
     <prop k="use_custom_dash" v="0" />
     <prop k="width_map_unit_scale" v="3x:0,0,0,0,0,0" />
    </layer>
   </symbol>
   <symbol type="line" name="5" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleLine" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="align_dash_pattern" value="0" />
      <Option type="QString" name="capstyle" value="round" />
      <Option type="QString" name="customdash" value="5;2" />
      <Option type="QString" name="customdash_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="customdash_unit" value="MM" />
      <Option type="QString" name="dash_pattern_offset" value="0" />
      <Option type="QString" name="dash_pattern_offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="dash_pattern_offset_unit" value="MM" />
      <Option type="QString" name="draw_inside_polygon" value="0" />
      <Option type="QString" name="joinstyle" value="round" />
      <Option type="QString" name="line_color" value="230,97,1,255" />
      <Option type="QString" name="line_style" value="solid" />
      <Option type="QString" name="line_width" value="1" />
      <Option type="QString" name="line_width_unit" value="MM" />
      <Option type="QString" name="offset" value="0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="ring_filter" value="0" />
      <Option type="QString" name="trim_distance_end" value="0" />
      <Option type="QString" name="trim_distance_start" value="0" />
      <Option type="QString" name="tweak_dash_pattern_on_corners" value="0" />
      <Option type="QString" name="use_custom_dash" value="0" />
      <Option type="QString" name="width_map_unit_scale" value="3x:0,0,0,0,0,0" />
     </Option>
     <prop k="align_dash_pattern" v="0" />
     <prop k="capstyle" v="round" />
     <prop k="customdash" v="5;2" />
     <prop k="customdash_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="customdash_unit" v="MM" />
     <prop k="dash_pattern_offset" v="0" />
     <prop k="dash_pattern_offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="dash_pattern_offset_unit" v="MM" />
     <prop k="draw_inside_polygon" v="0" />
     <prop k="joinstyle" v="round" />
     <prop k="line_color" v="230,97,1,255" />
     <prop k="line_style" v="solid" />
     <prop k="line_width" v="1" />
     <prop k="line_width_unit" v="MM" />
     <prop k="offset" v="0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="ring_filter" v="0" />
     <prop k="trim_distance_end" v="0" />
     <prop k="trim_distance_start" v="0" />
     <prop k="tweak_dash_pattern_on_corners" v="0" />
     <prop k="use_custom_dash" v="0" />
     <prop k="width_map_unit_scale" v="3x:0,0,0,0,0,0" />
    </layer>
   </symbol>
  </symbols>
  <source-symbol>
   <symbol type="line" name="0" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleLine" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="align_dash_pattern" value="0" />
      <Option type="QString" name="capstyle" value="round" />
      <Option type="QString" name="customdash" value="5;2" />
      <Option type="QString" name="customdash_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="customdash_unit" value="MM" />
      <Option type="QString" name="dash_pattern_offset" value="0" />
      <Option type="QString" name="dash_pattern_offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="dash_pattern_offset_unit" value="MM" />
      <Option type="QString" name="draw_inside_polygon" value="0" />
      <Option type="QString" name="joinstyle" value="round" />
      <Option type="QString" name="line_color" value="127,127,127,255" />
      <Option type="QString" name="line_style" value="solid" />
      <Option type="QString" name="line_width" value="1" />
      <Option type="QString" name="line_width_unit" value="MM" />
      <Option type="QString" name="offset" value="0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="ring_filter" value="0" />
      <Option type="QString" name="trim_distance_end" value="0" />
      <Option type="QString" name="trim_distance_start" value="0" />
      <Option type="QString" name="tweak_dash_pattern_on_corners" value="0" />
      <Option type="QString" name="use_custom_dash" value="0" />
      <Option type="QString" name="width_map_unit_scale" value="3x:0,0,0,0,0,0" />
     </Option>
     <prop k="align_dash_pattern" v="0" />
     <prop k="capstyle" v="round" />
     <prop k="customdash" v="5;2" />
     <prop k="customdash_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="customdash_unit" v="MM" />
     <prop k="dash_pattern_offset" v="0" />
     <prop k="dash_pattern_offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="dash_pattern_offset_unit" v="MM" />
     <prop k="draw_inside_polygon" v="0" />
     <prop k="joinstyle" v="round" />
     <prop k="line_color" v="127,127,127,255" />
     <prop k="line_style" v="solid" />
     <prop k="line_width" v="1" />
     <prop k="line_width_unit" v="MM" />
     <prop k="offset" v="0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="ring_filter" v="0" />
     <prop k="trim_distance_end" v="0" />
     <prop k="trim_distance_start" v="0" />
     <prop k="tweak_dash_pattern_on_corners" v="0" />
     <prop k="use_custom_dash" v="0" />
     <prop k="width_map_unit_scale" v="3x:0,0,0,0,0,0" />
    </layer>
   </symbol>
  </source-symbol>
 </renderer-v2>
 <blendMode>0</blendMode>
 <featureBlendMode>0</featureBlendMode>
 <layerGeometryType>1</layerGeometryType>
</qgis>
